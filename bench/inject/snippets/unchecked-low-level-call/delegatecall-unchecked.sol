// @class unchecked-low-level-call
// @shape unchecked `delegatecall` to an owner-set implementation
// @members
    address internal impl__ID__;
    address internal implAdmin__ID__ = msg.sender;

    function setImpl__ID__(address i) public {
        {{REQ(msg.sender == implAdmin__ID__)}}
        impl__ID__ = i;
    }

    function migrateStorage__ID__() public {
        {{REQ(msg.sender == implAdmin__ID__)}}
        impl__ID__.delegatecall({{SIG("migrate()")}}); // @bug
    }
