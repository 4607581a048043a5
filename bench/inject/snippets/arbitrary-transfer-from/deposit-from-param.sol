// @class arbitrary-transfer-from
// @shape `token.transferFrom(from, this, amount)` with `from` a parameter, credited to msg.sender (direct)
// @top
{{IFACE}} IERC20__ID__ {
    function transferFrom(address from, address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    IERC20__ID__ internal stakeToken__ID__;
    address internal tokenAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal credit__ID__;

    function setStakeToken__ID__(IERC20__ID__ t) public {
        {{REQ(msg.sender == tokenAdmin__ID__)}}
        stakeToken__ID__ = t;
    }

    function depositFrom__ID__(address from, uint256 amount) public {
        {{REQ(stakeToken__ID__.transferFrom(from, {{THIS}}, amount))}} // @bug
        credit__ID__[msg.sender] += amount;
    }
