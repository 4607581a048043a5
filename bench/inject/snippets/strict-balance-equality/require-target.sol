// @class strict-balance-equality
// @shape `require(address(this).balance == target)` ending a game (direct; `this.balance` before 0.5)
// @members
    uint256 internal constant TARGET__ID__ = 7 ether;
    address internal lastDepositor__ID__;

    function deposit__ID__() public payable {
        {{REQ(msg.value == 1 ether)}}
        lastDepositor__ID__ = msg.sender;
    }

    function finish__ID__() public {
        {{REQ({{THISBAL}} == TARGET__ID__)}} // @bug
        {{XFER({{PAY(lastDepositor__ID__)}}, TARGET__ID__)}}
    }
