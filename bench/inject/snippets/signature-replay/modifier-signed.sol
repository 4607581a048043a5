// @class signature-replay
// @shape signature checked in a modifier taking the digest as an argument
// @members
    address internal authority__ID__ = msg.sender;

    modifier signedBy__ID__(bytes32 h, uint8 v, bytes32 r, bytes32 s) {
        {{REQ(ecrecover(h, v, r, s) == authority__ID__)}} // @bug:sig
        _;
    }

    function withdrawSigned__ID__(uint256 amount, uint8 v, bytes32 r, bytes32 s)
        public
        signedBy__ID__({{KEC(msg.sender, amount)}}, v, r, s) // @bug:sig
    {
        {{XFER({{SENDER}}, amount)}}
    }
