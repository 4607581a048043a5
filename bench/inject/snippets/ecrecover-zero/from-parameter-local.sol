// @class ecrecover-zero
// @shape recovered address in a local compared with a caller-chosen `from` (zero passes with a garbage signature)
// @members
    mapping(address => uint256) internal permitBal__ID__;
    mapping(address => uint256) internal permitNonce__ID__;

    function permitTransfer__ID__(address from, address to, uint256 value, uint8 v, bytes32 r, bytes32 s) public {
        bytes32 h = {{KEC(address(this), from, to, value, permitNonce__ID__[from])}};
        address signer = ecrecover(h, v, r, s); // @bug:cmp
        if (signer != from) { // @bug:cmp
            {{REVERT}}
        }
        permitNonce__ID__[from] += 1;
        {{REQ(permitBal__ID__[from] >= value)}}
        permitBal__ID__[from] -= value;
        permitBal__ID__[to] += value;
    }
