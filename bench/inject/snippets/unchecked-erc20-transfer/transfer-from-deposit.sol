// @class unchecked-erc20-transfer
// @shape `token.transferFrom(msg.sender, this, amount)` dropped, the deposit credited anyway
// @top
{{IFACE}} IVaultToken__ID__ {
    function transferFrom(address from, address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    IVaultToken__ID__ internal vaultToken__ID__;
    address internal vaultAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal vaultBal__ID__;

    function setVaultToken__ID__(IVaultToken__ID__ t) public {
        {{REQ(msg.sender == vaultAdmin__ID__)}}
        vaultToken__ID__ = t;
    }

    function depositTokens__ID__(uint256 amount) public {
        vaultToken__ID__.transferFrom(msg.sender, {{THIS}}, amount); // @bug
        vaultBal__ID__[msg.sender] += amount;
    }
