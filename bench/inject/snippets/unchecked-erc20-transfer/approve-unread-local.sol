// @class unchecked-erc20-transfer
// @shape `bool ok = token.approve(spender, amount)` stored in a local nothing reads
// @top
{{IFACE}} IApproveToken__ID__ {
    function approve(address spender, uint256 value) {{IFN}} returns (bool);
}
// @members
    IApproveToken__ID__ internal allowToken__ID__;
    address internal allowAdmin__ID__ = msg.sender;
    mapping(address => bool) internal approvedRouter__ID__;

    function setAllowToken__ID__(IApproveToken__ID__ t) public {
        {{REQ(msg.sender == allowAdmin__ID__)}}
        allowToken__ID__ = t;
    }

    function approveRouter__ID__(address router, uint256 amount) public {
        {{REQ(msg.sender == allowAdmin__ID__)}}
        bool ok = allowToken__ID__.approve(router, amount); // @bug
        approvedRouter__ID__[router] = true;
    }
