// @class arbitrary-send-eth
// @shape `to.transfer(amount)` with recipient and amount parameters, no check (direct)
// @members
    function pay__ID__({{ADDRP}} to, uint256 amount) public {
        {{XFER(to, amount)}} // @bug
    }
