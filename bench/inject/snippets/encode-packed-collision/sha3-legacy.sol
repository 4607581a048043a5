// @class encode-packed-collision
// @shape legacy `sha3(first, last)` of two caller strings as a registry key (before 0.5)
// @when <0.5.0
// @members
    mapping(bytes32 => address) internal nameOwner__ID__;

    function registerName__ID__(string memory first, string memory last) public {
        bytes32 key = sha3(first, last); // @bug
        if (nameOwner__ID__[key] != address(0)) throw;
        nameOwner__ID__[key] = msg.sender;
    }
