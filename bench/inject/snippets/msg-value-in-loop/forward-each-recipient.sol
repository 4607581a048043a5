// @class msg-value-in-loop
// @shape `recipients[i].transfer(msg.value)` forwarding the whole value once per recipient
// @members
    function splitPayment__ID__({{ADDRP}}[] memory recipients) public payable {
        for (uint256 i = 0; i < recipients.length; i++) {
            {{XFER(recipients[i], msg.value)}} // @bug
        }
    }
