// @class divide-before-multiply
// @shape `(amount / total) * pool` in a return (direct)
// @members
    uint256 internal totalWeight__ID__ = 1000;
    uint256 internal rewardPool__ID__;

    function fundRewards__ID__() public payable {
        rewardPool__ID__ += msg.value;
    }

    function shareOf__ID__(uint256 weight) public {{VIEW}} returns (uint256) {
        return (weight / totalWeight__ID__) * rewardPool__ID__; // @bug
    }
