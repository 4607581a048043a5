// @class tx-order-dependence
// @shape reward set from msg.value by an owner-only function, paid through an internal helper
// @members
    address internal sponsor__ID__ = msg.sender;
    uint256 internal reward__ID__;
    mapping(address => bool) internal rewarded__ID__;
    mapping(address => bool) internal finished__ID__;

    function fundReward__ID__() public payable {
        {{REQ(msg.sender == sponsor__ID__)}}
        reward__ID__ = msg.value;
    }

    function markFinished__ID__(address who) public {
        {{REQ(msg.sender == sponsor__ID__)}}
        finished__ID__[who] = true;
    }

    function _sendReward__ID__({{ADDRP}} to) internal {
        {{XFER(to, reward__ID__)}} // @bug
    }

    function claimReward__ID__() public {
        {{REQ(finished__ID__[msg.sender] && !rewarded__ID__[msg.sender])}}
        rewarded__ID__[msg.sender] = true;
        _sendReward__ID__({{SENDER}});
    }
