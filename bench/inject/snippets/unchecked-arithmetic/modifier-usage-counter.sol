// @class unchecked-arithmetic
// @shape `unchecked` addition of a caller-chosen amount inside a modifier
// @when >=0.8.0
// @members
    mapping(address => uint256) internal used__ID__;
    uint256 internal constant QUOTA__ID__ = 1000;

    modifier consumes__ID__(uint256 units) {
        unchecked {
            used__ID__[msg.sender] += units; // @bug
        }
        require(used__ID__[msg.sender] <= QUOTA__ID__);
        _;
    }

    function work__ID__(uint256 units) public consumes__ID__(units) {
    }
