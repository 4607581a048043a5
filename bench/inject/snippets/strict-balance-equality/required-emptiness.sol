// @class strict-balance-equality
// @shape `require(balance == 0)` before a new round can start (forced ether blocks it)
// @members
    uint256 internal roundNo__ID__;
    mapping(address => uint256) internal roundStake__ID__;

    function stake__ID__() public payable {
        roundStake__ID__[msg.sender] += msg.value;
    }

    function unstake__ID__() public {
        uint256 amount = roundStake__ID__[msg.sender];
        roundStake__ID__[msg.sender] = 0;
        {{XFER({{SENDER}}, amount)}}
    }

    function newRound__ID__() public {
        {{REQ({{THISBAL}} == 0)}} // @bug
        roundNo__ID__ += 1;
    }
