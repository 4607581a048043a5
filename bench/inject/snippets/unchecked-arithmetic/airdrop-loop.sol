// @class unchecked-arithmetic
// @shape `credits[to[i]] += each` in a loop wrapped entirely in `unchecked`
// @when >=0.8.0
// @members
    mapping(address => uint256) internal airdropped__ID__;

    function airdrop__ID__(address[] calldata to, uint256 each) external {
        unchecked {
            for (uint256 i = 0; i < to.length; ++i) {
                airdropped__ID__[to[i]] += each; // @bug
            }
        }
    }
