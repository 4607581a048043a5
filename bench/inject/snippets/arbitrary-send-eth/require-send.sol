// @class arbitrary-send-eth
// @shape `require(to.send(amount))` from a public tip function
// @members
    function tip__ID__({{ADDRP}} to, uint256 amount) public {
        {{REQ(to.send(amount))}} // @bug
    }
