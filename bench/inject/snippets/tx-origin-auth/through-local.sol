// @class tx-origin-auth
// @shape `tx.origin` copied to a local, the local compared with the keeper in an `if`
// @members
    address internal keeper__ID__ = msg.sender;
    uint256 internal withdrawLimit__ID__;

    function setLimit__ID__(uint256 newLimit) public {
        address origin = tx.origin; // @bug:auth
        if (origin != keeper__ID__) { // @bug:auth
            {{REVERT}}
        }
        withdrawLimit__ID__ = newLimit;
    }
