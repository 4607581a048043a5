// @class reentrancy
// @shape ether sent with a low-level call; the stake is cleared by a modifier after `_`
// @members
    mapping(address => uint256) internal stake__ID__;
    uint256 internal totalStake__ID__;

    modifier clearsStake__ID__() {
        _;
        totalStake__ID__ = totalStake__ID__ - stake__ID__[msg.sender];
        stake__ID__[msg.sender] = 0;
    }

    function addStake__ID__() public payable {
        stake__ID__[msg.sender] += msg.value;
        totalStake__ID__ += msg.value;
    }

    function unstake__ID__() public clearsStake__ID__ {
        {{OK(sent, {{CALLV(msg.sender, stake__ID__[msg.sender])}})}}; // @bug
        {{REQ(sent)}}
    }
