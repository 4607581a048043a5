// @class unprotected-selfdestruct
// @shape legacy `suicide(owner)` in a public function (before 0.5)
// @when <0.5.0
// @members
    address internal creator__ID__ = msg.sender;

    function kill__ID__() public { // @bug:k
        suicide(creator__ID__); // @bug:k
    }
