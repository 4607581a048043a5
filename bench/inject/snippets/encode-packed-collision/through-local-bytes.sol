// @class encode-packed-collision
// @shape packed bytes built into a local, hashed on the next line
// @when >=0.4.22
// @members
    mapping(bytes32 => bool) internal usedTicket__ID__;

    function useTicket__ID__(string memory eventName, string memory seat) public {
        bytes memory packed = abi.encodePacked(eventName, seat); // @bug:pk
        bytes32 id = keccak256(packed); // @bug:pk
        {{REQ(!usedTicket__ID__[id])}}
        usedTicket__ID__[id] = true;
    }
