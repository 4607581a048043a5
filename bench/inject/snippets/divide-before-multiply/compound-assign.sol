// @class divide-before-multiply
// @shape quotient multiplied in place with `*=`
// @members
    uint256 internal ratePerDay__ID__ = 3;

    function interest__ID__(uint256 principal, uint256 numDays) public {{VIEW}} returns (uint256) {
        uint256 owed = principal / 365; // @bug:dm
        owed *= numDays * ratePerDay__ID__; // @bug:dm
        return owed;
    }
