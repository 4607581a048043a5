// @class unsafe-downcast
// @shape token deposit: the full amount is pulled, `uint128(amount)` is credited (direct)
// @top
{{IFACE}} IDepositToken__ID__ {
    function transferFrom(address from, address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    IDepositToken__ID__ internal depositToken__ID__;
    address internal depositAdmin__ID__ = msg.sender;
    mapping(address => uint128) internal packedBal__ID__;

    function setDepositToken__ID__(IDepositToken__ID__ t) public {
        {{REQ(msg.sender == depositAdmin__ID__)}}
        depositToken__ID__ = t;
    }

    function depositTokens__ID__(uint256 amount) public {
        {{REQ(depositToken__ID__.transferFrom(msg.sender, {{THIS}}, amount))}}
        packedBal__ID__[msg.sender] += uint128(amount); // @bug
    }
