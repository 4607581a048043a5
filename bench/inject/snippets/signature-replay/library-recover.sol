// @class signature-replay
// @shape voucher verified through an ECDSA-style library `recover(hash, sig)`, no nonce
// @top
library SigLib__ID__ {
    function recover(bytes32 hash, bytes memory sig) internal {{PURE}} returns (address) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        if (sig.length != 65) {
            return address(0);
        }
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        return ecrecover(hash, v, r, s);
    }
}
// @members
    using SigLib__ID__ for bytes32;

    address internal issuer__ID__ = msg.sender;
    mapping(address => uint256) internal vouchers__ID__;

    function redeemVoucher__ID__(uint256 amount, bytes memory sig) public {
        bytes32 h = {{KEC(msg.sender, amount)}};
        {{REQ(h.recover(sig) == issuer__ID__)}} // @bug
        vouchers__ID__[msg.sender] += amount;
    }
