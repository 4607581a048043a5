// @class unchecked-send
// @shape `bool sent = winner.send(prize)` stored in a local nothing reads, then marked paid
// @members
    {{ADDRP}} internal winner__ID__;
    uint256 internal prize__ID__;
    bool internal paidOut__ID__;

    function enter__ID__() public payable {
        {{REQ(msg.value > prize__ID__)}}
        winner__ID__ = {{SENDER}};
        prize__ID__ = msg.value;
    }

    function payWinner__ID__() public {
        {{REQ(!paidOut__ID__)}}
        bool sent = winner__ID__.send(prize__ID__); // @bug
        paidOut__ID__ = true;
    }
