// @class unchecked-erc20-transfer
// @shape `token.transfer(to, amount)` as a statement in a withdrawal (direct)
// @top
{{IFACE}} IRewardToken__ID__ {
    function transfer(address to, uint256 value) {{IFN}} returns (bool);
}
// @members
    IRewardToken__ID__ internal rewardToken__ID__;
    address internal rewardAdmin__ID__ = msg.sender;
    mapping(address => uint256) internal rewards__ID__;

    function setRewardToken__ID__(IRewardToken__ID__ t) public {
        {{REQ(msg.sender == rewardAdmin__ID__)}}
        rewardToken__ID__ = t;
    }

    function withdrawRewards__ID__() public {
        uint256 amount = rewards__ID__[msg.sender];
        rewards__ID__[msg.sender] = 0;
        rewardToken__ID__.transfer(msg.sender, amount); // @bug
    }
