// @class reentrancy
// @shape high-level call with value (`f.value(x)()` / `f{value: x}()`) to a caller-chosen contract, escrow zeroed after
// @top
{{IFACE}} IDepositTarget__ID__ {
    function depositFor(address who) {{IFN}} payable;
}
// @members
    mapping(address => uint256) internal escrow__ID__;

    function lock__ID__() public payable {
        escrow__ID__[msg.sender] += msg.value;
    }

    function migrate__ID__(address target) public {
        uint256 amount = escrow__ID__[msg.sender];
// @if <0.6.2
        IDepositTarget__ID__(target).depositFor.value(amount)(msg.sender); // @bug
// @else
        IDepositTarget__ID__(target).depositFor{value: amount}(msg.sender); // @bug
// @endif
        escrow__ID__[msg.sender] = 0;
    }
