// @class arbitrary-transfer-from
// @shape `from` copied to a local before `transferFrom(payer, beneficiary, amount)`
// @top
{{IFACE}} IERC20__ID__ {
    function transferFrom(address from, address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    IERC20__ID__ internal payToken__ID__;
    address internal payAdmin__ID__ = msg.sender;

    function setPayToken__ID__(IERC20__ID__ t) public {
        {{REQ(msg.sender == payAdmin__ID__)}}
        payToken__ID__ = t;
    }

    function payInvoice__ID__(address source, address beneficiary, uint256 amount) public {
        address payer = source;
        {{REQ(payToken__ID__.transferFrom(payer, beneficiary, amount))}} // @bug
    }
