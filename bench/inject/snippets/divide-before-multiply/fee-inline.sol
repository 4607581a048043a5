// @class divide-before-multiply
// @shape fee `value / 10000 * feeBps` computed inline in a payment
// @members
    uint256 internal feeBps__ID__ = 30;
    {{ADDRP}} internal feeTo__ID__ = {{SENDER}};

    function payWithFee__ID__({{ADDRP}} to) public payable {
        uint256 fee = msg.value / 10000 * feeBps__ID__; // @bug
        {{XFER(feeTo__ID__, fee)}}
        {{XFER(to, msg.value - fee)}}
    }
