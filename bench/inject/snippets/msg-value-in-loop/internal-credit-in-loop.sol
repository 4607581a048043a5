// @class msg-value-in-loop
// @shape loop calling an internal `_credit` that reads msg.value
// @members
    mapping(address => uint256) internal sponsored__ID__;

    function _credit__ID__(address who) internal {
        sponsored__ID__[who] += msg.value; // @bug:v
    }

    function sponsorAll__ID__(address[] memory people) public payable {
        for (uint256 i = 0; i < people.length; i++) {
            _credit__ID__(people[i]); // @bug:v
        }
    }
