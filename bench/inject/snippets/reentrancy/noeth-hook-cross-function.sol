// @class reentrancy
// @shape hook of a caller-chosen contract (no ether) before the units are zeroed; the units are spent by another public function (cross-function)
// @top
{{IFACE}} IRedeemHook__ID__ {
    function onRedeem(address who, uint256 units) {{IFN}} returns (bool);
}
// @members
    mapping(address => uint256) internal units__ID__;
    mapping(address => uint256) internal redeemed__ID__;

    function moveUnits__ID__(address to, uint256 n) public {
        {{REQ(units__ID__[msg.sender] >= n)}}
        units__ID__[msg.sender] -= n;
        units__ID__[to] += n;
    }

    function redeem__ID__(address hook) public {
        uint256 n = units__ID__[msg.sender];
        redeemed__ID__[msg.sender] += n;
        {{REQ(IRedeemHook__ID__(hook).onRedeem(msg.sender, n))}} // @bug
        units__ID__[msg.sender] = 0;
    }
