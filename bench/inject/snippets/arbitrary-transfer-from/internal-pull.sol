// @class arbitrary-transfer-from
// @shape `transferFrom(from, ...)` in an internal helper; a public `stakeFor(from, amount)` passes `from` through
// @top
{{IFACE}} IERC20__ID__ {
    function transferFrom(address from, address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    IERC20__ID__ internal pullToken__ID__;
    address internal pullAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal staked__ID__;

    function setPullToken__ID__(IERC20__ID__ t) public {
        {{REQ(msg.sender == pullAdmin__ID__)}}
        pullToken__ID__ = t;
    }

    function _pull__ID__(address from, uint256 amount) internal {
        {{REQ(pullToken__ID__.transferFrom(from, {{THIS}}, amount))}} // @bug:pull
    }

    function stakeFor__ID__(address from, uint256 amount) public {
        _pull__ID__(from, amount); // @bug:pull
        staked__ID__[msg.sender] += amount;
    }
