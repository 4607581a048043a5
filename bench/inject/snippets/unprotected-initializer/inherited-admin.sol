// @class unprotected-initializer
// @shape admin and its modifier inherited from a base; the derived contract's `setupAdmin()` records the caller
// @base AdminBase__ID__
// @top
contract AdminBase__ID__ {
    address internal admin__ID__;

    modifier onlyAdmin__ID__() {
        {{REQ(msg.sender == admin__ID__)}}
        _;
    }

    function adminPayout__ID__({{ADDRP}} to, uint256 amount) public onlyAdmin__ID__ {
        {{XFER(to, amount)}}
    }
}
// @members
    function setupAdmin__ID__() public { // @bug:w
        admin__ID__ = msg.sender; // @bug:w
    }
