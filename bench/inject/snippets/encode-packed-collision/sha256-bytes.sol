// @class encode-packed-collision
// @shape `sha256` of two packed caller byte strings compared with a stored commitment
// @when >=0.4.22
// @members
    mapping(address => bytes32) internal commitment__ID__;

    function commit__ID__(bytes32 c) public {
        commitment__ID__[msg.sender] = c;
    }

    function reveal__ID__(bytes memory secret, bytes memory salt) public {
        {{REQ(sha256(abi.encodePacked(secret, salt)) == commitment__ID__[msg.sender])}} // @bug
        commitment__ID__[msg.sender] = bytes32(0);
    }
