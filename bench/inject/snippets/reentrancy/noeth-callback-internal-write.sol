// @class reentrancy
// @shape callback to a caller-chosen contract (no ether) before the claimed flag is set in an internal function
// @top
{{IFACE}} IBonusReceiver__ID__ {
    function onBonus(address from, uint256 points) {{IFN}} returns (bool);
}
// @members
    mapping(address => bool) internal bonusClaimed__ID__;
    mapping(address => uint256) internal points__ID__;

    function _markClaimed__ID__(address who) internal {
        bonusClaimed__ID__[who] = true;
    }

    function pointsOf__ID__(address who) public {{VIEW}} returns (uint256) {
        return points__ID__[who];
    }

    function claimBonus__ID__(address receiver) public {
        {{REQ(!bonusClaimed__ID__[msg.sender])}}
        points__ID__[receiver] += 100;
        {{REQ(IBonusReceiver__ID__(receiver).onBonus(msg.sender, 100))}} // @bug
        _markClaimed__ID__(msg.sender);
    }
