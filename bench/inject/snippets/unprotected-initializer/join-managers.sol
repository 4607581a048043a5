// @class unprotected-initializer
// @shape `managers[msg.sender] = true` open to anyone; `onlyManager` checks `managers[msg.sender]`
// @members
    mapping(address => bool) internal managers__ID__;
    uint256 internal rate__ID__;

    modifier onlyManager__ID__() {
        {{REQ(managers__ID__[msg.sender])}}
        _;
    }

    function setRate__ID__(uint256 r) public onlyManager__ID__ {
        rate__ID__ = r;
    }

    function becomeManager__ID__() public { // @bug:w
        managers__ID__[msg.sender] = true; // @bug:w
    }
