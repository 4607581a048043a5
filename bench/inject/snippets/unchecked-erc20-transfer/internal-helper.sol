// @class unchecked-erc20-transfer
// @shape unchecked `transfer` inside an internal payout helper
// @top
{{IFACE}} IPayToken__ID__ {
    function transfer(address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    IPayToken__ID__ internal payToken__ID__;
    address internal payAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal salary__ID__;

    function setPayToken__ID__(IPayToken__ID__ t) public {
        {{REQ(msg.sender == payAdmin__ID__)}}
        payToken__ID__ = t;
    }

    function _paySalary__ID__(address to, uint256 amount) internal {
        payToken__ID__.transfer(to, amount); // @bug
    }

    function collectSalary__ID__() public {
        uint256 amount = salary__ID__[msg.sender];
        salary__ID__[msg.sender] = 0;
        _paySalary__ID__(msg.sender, amount);
    }
