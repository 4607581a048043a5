// @class unprotected-state-write
// @shape `admins[a] = true` open to anyone; `onlyAdmin` checks `admins[msg.sender]`
// @members
    mapping(address => bool) internal admins__ID__;

    modifier onlyAdmin__ID__() {
        {{REQ(admins__ID__[msg.sender])}}
        _;
    }

    function adminWithdraw__ID__(uint256 amount) public onlyAdmin__ID__ {
        {{XFER({{SENDER}}, amount)}}
    }

    function addAdmin__ID__(address a) public { // @bug:w
        admins__ID__[a] = true; // @bug:w
    }
