// @class arbitrary-send-eth
// @shape ether sent by an internal helper; a public function passes msg.sender and a caller-chosen amount
// @members
    function _payout__ID__({{ADDRP}} to, uint256 amount) internal {
        {{XFER(to, amount)}} // @bug
    }

    function cashOut__ID__(uint256 amount) public {
        _payout__ID__({{SENDER}}, amount);
    }
