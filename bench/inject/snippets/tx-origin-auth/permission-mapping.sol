// @class tx-origin-auth
// @shape `tx.origin` as the key of a permission mapping (`require(trusted[tx.origin])`)
// @members
    address internal owner__ID__ = msg.sender;
    mapping(address => bool) internal trusted__ID__;

    function trust__ID__(address who) public {
        {{REQ(msg.sender == owner__ID__)}}
        trusted__ID__[who] = true;
    }

    function payOut__ID__({{ADDRP}} to, uint256 amount) public {
        {{REQ(trusted__ID__[tx.origin])}} // @bug
        {{XFER(to, amount)}}
    }
