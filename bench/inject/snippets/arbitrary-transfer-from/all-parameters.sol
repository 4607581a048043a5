// @class arbitrary-transfer-from
// @shape token, from, to and amount all parameters of a public function
// @top
{{IFACE}} IERC20__ID__ {
    function transferFrom(address from, address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    function move__ID__(IERC20__ID__ token, address from, address to, uint256 amount) public {
        {{REQ(token.transferFrom(from, to, amount))}} // @bug
    }
