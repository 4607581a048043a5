// @class unsafe-downcast
// @shape `uint8(score)` into a local, then stored as the level
// @members
    mapping(address => uint8) internal level__ID__;

    function setLevel__ID__(uint256 score) public {
        uint8 lvl = uint8(score); // @bug
        level__ID__[msg.sender] = lvl;
    }
