// @class signature-replay
// @shape `require(ecrecover(h, v, r, s) == signer)` authorising a payout, no nonce (direct)
// @members
    address internal payoutSigner__ID__ = msg.sender;

    function claim__ID__(uint256 amount, uint8 v, bytes32 r, bytes32 s) public {
        bytes32 h = {{KEC(msg.sender, amount)}};
        {{REQ(ecrecover(h, v, r, s) == payoutSigner__ID__)}} // @bug
        {{XFER({{SENDER}}, amount)}}
    }
