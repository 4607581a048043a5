// @class integer-overflow
// @shape `msg.value * factor` with a caller-chosen factor credited as tokens
// @when <0.8.0
// @members
    mapping(address => uint256) internal tokens__ID__;

    function buy__ID__(uint256 bonusFactor) public payable {
        tokens__ID__[msg.sender] = tokens__ID__[msg.sender] + msg.value * bonusFactor; // @bug
    }
