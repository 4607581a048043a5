// @class tx-origin-auth
// @shape modifier `if (tx.origin != admin) revert/throw` on a fee setter and a payout
// @members
    address internal admin__ID__ = msg.sender;
    uint256 internal feeBps__ID__;

    modifier onlyAdmin__ID__() {
        if (tx.origin != admin__ID__) { {{REVERT}} } // @bug
        _;
    }

    function setFee__ID__(uint256 bps) public onlyAdmin__ID__ {
        feeBps__ID__ = bps;
    }

    function payFees__ID__({{ADDRP}} to, uint256 amount) public onlyAdmin__ID__ {
        {{XFER(to, amount)}}
    }
