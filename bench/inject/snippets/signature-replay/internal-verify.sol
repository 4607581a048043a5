// @class signature-replay
// @shape internal `_verify` returning `ecrecover(...) == oracle`; a public price update requires it, no nonce
// @members
    address internal priceOracle__ID__ = msg.sender;
    uint256 internal price__ID__;

    function _verify__ID__(bytes32 h, uint8 v, bytes32 r, bytes32 s) internal {{VIEW}} returns (bool) {
        return ecrecover(h, v, r, s) == priceOracle__ID__; // @bug:sig
    }

    function submitPrice__ID__(uint256 newPrice, uint8 v, bytes32 r, bytes32 s) public {
        {{REQ(_verify__ID__({{KEC(newPrice)}}, v, r, s))}} // @bug:sig
        price__ID__ = newPrice;
    }
