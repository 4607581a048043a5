// @class divide-before-multiply
// @shape internal helper returning a quotient; the caller multiplies its result
// @members
    uint256 internal feePool__ID__;
    uint256 internal feeUnits__ID__ = 7;

    function _perUnit__ID__() internal {{VIEW}} returns (uint256) {
        return feePool__ID__ / feeUnits__ID__; // @bug:dm
    }

    function feeFor__ID__(uint256 units) public {{VIEW}} returns (uint256) {
        return _perUnit__ID__() * units; // @bug:dm
    }
