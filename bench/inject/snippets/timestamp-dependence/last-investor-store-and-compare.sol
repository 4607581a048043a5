// @class timestamp-dependence
// @shape last investor wins after a minute: time stored in state, compared later (`if (block.timestamp < last + 1 minutes) revert`)
// @members
    address internal lastInvestor__ID__;
    uint256 internal lastInvestment__ID__;

    function invest__ID__() public payable {
        {{REQ(msg.value >= 0.1 ether)}}
        lastInvestor__ID__ = msg.sender;
        lastInvestment__ID__ = block.timestamp; // @bug
    }

    function claimPot__ID__() public {
        if (block.timestamp < lastInvestment__ID__ + 1 minutes) { {{REVERT}} } // @bug
        {{XFER({{PAY(lastInvestor__ID__)}}, {{THISBAL}})}}
    }
