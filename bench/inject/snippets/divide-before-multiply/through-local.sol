// @class divide-before-multiply
// @shape per-share amount divided into a local, then multiplied by the holder's shares
// @members
    uint256 internal dividendPool__ID__;
    uint256 internal totalShares__ID__ = 1;
    mapping(address => uint256) internal holderShares__ID__;

    function payoutFor__ID__(address holder) public {{VIEW}} returns (uint256) {
        uint256 perShare = dividendPool__ID__ / totalShares__ID__; // @bug:dm
        return perShare * holderShares__ID__[holder]; // @bug:dm
    }
