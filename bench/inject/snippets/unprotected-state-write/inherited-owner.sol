// @class unprotected-state-write
// @shape owner and `onlyOwner` inherited from a base contract; the derived contract adds an unguarded `transferOwnership`
// @base OwnedBase__ID__
// @top
contract OwnedBase__ID__ {
    address internal baseOwner__ID__ = msg.sender;

    modifier onlyBaseOwner__ID__() {
        {{REQ(msg.sender == baseOwner__ID__)}}
        _;
    }

    function drain__ID__() public onlyBaseOwner__ID__ {
        {{XFER({{SENDER}}, {{THISBAL}})}}
    }
}
// @members
    function transferOwnership__ID__(address newOwner) public { // @bug:w
        baseOwner__ID__ = newOwner; // @bug:w
    }
