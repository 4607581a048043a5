// @class unprotected-state-write
// @shape caller-chosen key in a member mapping (`sponsors[m] = msg.sender`) that `onlyMember` checks
// @members
    mapping(address => address) internal sponsors__ID__;

    modifier onlyMember__ID__() {
        {{REQ(sponsors__ID__[msg.sender] != address(0))}}
        _;
    }

    function spendTreasury__ID__(uint256 amount) public onlyMember__ID__ {
        {{XFER({{SENDER}}, amount)}}
    }

    function addMember__ID__(address m) public { // @bug:w
        sponsors__ID__[m] = msg.sender; // @bug:w
    }
