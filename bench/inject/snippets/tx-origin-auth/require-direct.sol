// @class tx-origin-auth
// @shape `require(tx.origin == owner)` guarding a sweep of the whole balance (direct)
// @members
    address internal owner__ID__ = msg.sender;

    function sweep__ID__({{ADDRP}} to) public {
        {{REQ(tx.origin == owner__ID__)}} // @bug
        {{XFER(to, {{THISBAL}})}}
    }
