// @class arbitrary-transfer-from
// @shape `token.safeTransferFrom(payer, this, amount)` through a SafeERC20-style library, `payer` a parameter
// @top
{{IFACE}} IERC20__ID__ {
    function transferFrom(address from, address to, uint256 value) {{IFN}} returns (bool);
}

library SafeERC20__ID__ {
    function safeTransferFrom(IERC20__ID__ token, address from, address to, uint256 value) internal {
        {{REQ(token.transferFrom(from, to, value))}}
    }
}
// @members
    using SafeERC20__ID__ for IERC20__ID__;

    IERC20__ID__ internal fundToken__ID__;
    address internal fundAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal funded__ID__;

    function setFundToken__ID__(IERC20__ID__ t) public {
        {{REQ(msg.sender == fundAdmin__ID__)}}
        fundToken__ID__ = t;
    }

    function fundFrom__ID__(address payer, uint256 amount) public {
        fundToken__ID__.safeTransferFrom(payer, {{THIS}}, amount); // @bug
        funded__ID__[msg.sender] += amount;
    }
