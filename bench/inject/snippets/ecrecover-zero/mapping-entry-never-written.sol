// @class ecrecover-zero
// @shape recovered address compared with a mapping entry by key id (zero for an unknown key)
// @members
    mapping(uint256 => address) internal keyOf__ID__;
    address internal keyAdmin__ID__ = msg.sender;
    mapping(bytes32 => bool) internal consumed__ID__;

    function setKey__ID__(uint256 id, address k) public {
        {{REQ(msg.sender == keyAdmin__ID__)}}
        keyOf__ID__[id] = k;
    }

    function execute__ID__(uint256 keyId, uint256 amount, uint8 v, bytes32 r, bytes32 s) public {
        bytes32 h = {{KEC(address(this), keyId, amount, msg.sender)}};
        {{REQ(!consumed__ID__[h])}}
        {{REQ(ecrecover(h, v, r, s) == keyOf__ID__[keyId])}} // @bug
        consumed__ID__[h] = true;
        {{XFER({{SENDER}}, amount)}}
    }
