// @class unchecked-erc20-transfer
// @shape unchecked `transfer` of a token given as a parameter, in an airdrop loop
// @top
{{IFACE}} IDropToken__ID__ {
    function transfer(address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    address internal dropAdmin__ID__ = msg.sender;

    function airdrop__ID__(IDropToken__ID__ token, address[] memory to, uint256 each) public {
        {{REQ(msg.sender == dropAdmin__ID__)}}
        for (uint256 i = 0; i < to.length; i++) {
            token.transfer(to[i], each); // @bug
        }
    }
