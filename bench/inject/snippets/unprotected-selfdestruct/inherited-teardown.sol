// @class unprotected-selfdestruct
// @shape internal `_destroy` inherited from a base contract, reached from an unguarded public function of the host
// @base Retirable__ID__
// @top
contract Retirable__ID__ {
    address internal heir__ID__ = msg.sender;

    function _destroy__ID__() internal {
        selfdestruct({{PAY(heir__ID__)}}); // @bug:k
    }
}
// @members
    function retire__ID__() public { // @bug:k
        _destroy__ID__();
    }
